/** Entry point on Deno (scripts/warrant-deno): pick the platform, nothing else. */
import { denoPlatform } from "./platform/deno.ts";
import { main } from "./runtime/main.ts";

main(denoPlatform);
