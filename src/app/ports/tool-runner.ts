/**
 * The ToolRunner port: what runs an action's body once its `executing`
 * intent is durable: a run_tool callback to the hook (transport/stdio-gate.ts)
 * or a declared tool's process (platform/process-runner.ts).
 */

export interface ToolCallback {
  action_id: string;
  tool: string;
  args: Record<string, unknown>;
}

/** Runs a body. Resolves with the outcome; should not reject (a rejection is a failure). */
export interface ToolRunner {
  run(call: ToolCallback): Promise<ToolOutcome>;
}

export interface ToolOutcome {
  ok: boolean;
  output?: unknown;
  /** For ok=false: warrant's own words (never text the tool supplied), and whether it was a timeout. */
  message?: string;
  /**
   * For ok=false: what the tool itself said (a tool_error message, its
   * stderr). Stored only through the payload codec (encrypted at rest when
   * encryption is on); events carry its digest and size.
   */
  detail?: string;
  timed_out?: boolean;
  /** The body may or may not have run (the hook vanished mid-call): record `unknown`. */
  unknown?: boolean;
  /** Untrusted documents the tool surfaced: recorded as counts and sources, never trusted. */
  documents?: { count: number; sources: string[] };
}
