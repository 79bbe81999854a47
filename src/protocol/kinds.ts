/**
 * The closed vocabularies of the gate protocol as schemas: the outcome phase
 * of a govern/resume, and the kind of a rejection or failure (the list
 * itself lives in core/rejection-kind.ts, where the records use it).
 */
import { z } from "zod";
import { REJECTION_KINDS } from "../core/rejection-kind.ts";

export type { ReferenceKind, RejectionKind, WarrantKind } from "../core/rejection-kind.ts";
export { REFERENCE_KINDS, REJECTION_KINDS, WARRANT_KINDS } from "../core/rejection-kind.ts";

/** Outcome phase of a `govern` or `resume`. */
export const PhaseSchema = z.enum(["completed", "pending_approval", "rejected", "failed"]);
export type Phase = z.infer<typeof PhaseSchema>;

/** The kind of a rejection or failure: exactly core's closed list. */
export const RejectionKindSchema = z.enum(REJECTION_KINDS);
