/**
 * English messages for schemas built with zod's "mini" API. The classic API
 * installs them when its first schema is built; mini installs none (every
 * issue would read "Invalid input"), and our errors quote zod's message.
 * Both APIs share one global config, so this is the same text either way.
 */
import { config } from "zod/v4/core";
import en from "zod/v4/locales/en.js";

let installed = false;

/** Install zod's English messages unless a locale is already set (idempotent). */
export function zodMessages(): void {
  if (installed) return;
  installed = true;
  if (!config().localeError) config(en());
}
