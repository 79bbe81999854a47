/**
 * The policy engine's public types. The schema (schema.ts) parses a policy
 * document; compile.ts turns it into a CompiledPolicy once per load;
 * evaluate.ts decides a ToolCall against it, purely: time and counters are
 * arguments.
 */

export type Effect = "allow" | "hold" | "deny";
export type Scope = "project" | "session" | "tool";

/** A proposed tool call, as evaluated. `args` is untrusted JSON. */
export interface ToolCall {
  tool: string;
  args: Record<string, unknown>;
  /** Used as the scope key for `scope: "session"` budgets and rates. */
  session_id?: string;
  /** Used as the scope key for `scope: "project"`. */
  project?: string;
}

/** What a hold demands: `quorum` distinct approvers holding one of `roles`. */
export interface ApprovalRequirement {
  rule: string;
  quorum: number;
  roles: string[];
  /** From the rule's `timeout` ("30m"); null means the gate's default. */
  timeout_ms: number | null;
}

/** A budget debit the decision carries (recorded atomically with it). */
export interface SpendEffect {
  rule: string;
  budget: string;
  amount: number;
  limit: number;
  window_ms: number;
  scope: Scope;
  /** The counter key: `${budget}|${scope}|${scopeValue}`. */
  key: string;
}

/** A rate-limit hit the decision carries (recorded atomically with it). */
export interface RateEffect {
  rule: string;
  max: number;
  window_ms: number;
  scope: Scope;
  /** The counter key: `${ruleId}|${scope}|${scopeValue}`. */
  key: string;
}

/** Reads the recorded counters, within a window ending at `now`. */
export interface Counters {
  /** Sum of amounts recorded under `key` at times > now - window_ms. */
  spent(key: string, window_ms: number): number;
  /** Number of hits recorded under `key` at times > now - window_ms. */
  hits(key: string, window_ms: number): number;
}

export type DecisionKind =
  | "policy_denied"
  | "budget_exhausted"
  | "rate_limited"
  /** A hold under a policy whose hold_timeout is 0: nobody can approve it in time. */
  | "approval_required";

/** A decision is a value, never an exception. */
export interface Decision {
  effect: Effect;
  /** Set when effect is "deny": why, as a stable kind. */
  kind: DecisionKind | null;
  /** Ids of the rules that produced the effect (empty when the default applied). */
  rules: string[];
  /** Ids of every matching rule, whatever its effect. */
  matched: string[];
  /** True when no rule matched and `default` applied. */
  by_default: boolean;
  /** One human sentence: which rule(s), and why. */
  reason: string;
  /** For effect "hold": every hold's requirement; all must be satisfied. */
  approvals: ApprovalRequirement[];
  /** For effect allow/hold: debits to record with the decision. */
  spends: SpendEffect[];
  /** For effect allow/hold: rate hits to record with the decision. */
  rates: RateEffect[];
  policy: { id: string; version: number };
}

/** Options to evaluate(). */
export interface EvalContext {
  /** Milliseconds since the epoch. */
  now: number;
  /** Budgets and rates are ignored (not checked, not produced) when absent. */
  counters?: Counters;
}
