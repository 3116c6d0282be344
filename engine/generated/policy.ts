/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * An Engine policy layer. Layers: built-in defaults < <repo>/.engine/policy.yaml < each --policy FILE < each --set key.path=value; maps merge key by key, lists and scalars replace. Only apiVersion and kind are required, so a file may override just a few keys. See docs/config.md.
 */
export interface EnginePolicy {
  /**
   * Schema location, for editors.
   */
  $schema?: string;
  /**
   * Version of the file format; always engine/v1.
   */
  apiVersion: 'engine/v1';
  /**
   * The kind of file; always Policy here.
   */
  kind: 'Policy';
  /**
   * Which files a worker may change.
   */
  governance?: {
    /**
     * Repo-relative globs a worker may change; anything else is a governance violation. A task may narrow them.
     *
     * Items: A repo-relative glob (picomatch syntax).
     */
    allowed_roots?: string[];
    /**
     * Globs never writable by a worker. .git/** and .engine/** are always protected, whatever the layers say.
     *
     * Items: A repo-relative glob (picomatch syntax).
     */
    protected?: string[];
    /**
     * Paths whose change is a framework edit when the target repo is the engine's own repo (the run stops with framework_fix_needed).
     *
     * Items: A repo-relative glob (picomatch syntax).
     */
    framework_paths?: string[];
    /**
     * Dependency lockfiles; changing one needs allow_deps.
     *
     * Items: A repo-relative glob (picomatch syntax).
     */
    lockfiles?: string[];
    /**
     * Allow workers to change lockfiles (add or upgrade dependencies).
     */
    allow_deps?: boolean;
    /**
     * The largest file (MiB) a snapshot stages. A larger file git would stage (not ignored) is a governance violation (large_file), found by its size before git reads it: a sparse file of a terabyte costs a worker an instant and no disk.
     */
    max_file_mb?: number;
  };
  /**
   * How changes are verified: tiers of commands, risk triggers, the verify → fix bound.
   */
  verification?: {
    /**
     * Repo-relative directory where verification commands run.
     */
    cwd?: string;
    /**
     * Variables that verification, set-up and command-step commands may still see: worker provider variables (OPENAI_*, ANTHROPIC_*, CODEX_*, CLAUDE_*, other model keys) and variables whose names match transcripts.redact (*_KEY, *_TOKEN, *SECRET*, *PASSWORD*) are removed from the user's environment for them, since they run code a worker may have written.
     *
     * Items: A variable name, or a glob with `*`.
     */
    env_pass?: string[];
    /**
     * The commands of each verification tier.
     */
    tiers?: {
      /**
       * tier0: the regular per-milestone check (e.g. npm test).
       */
      tier0?: {
        /**
         * Commands of tier0; the tier passes when every command exits 0.
         *
         * Items: A shell command run in verification.cwd; exit 0 is pass.
         */
        commands?: string[];
        /**
         * Limit in seconds for each tier0 command.
         */
        timeout_s?: number;
      };
      /**
       * tier0_fast: a quicker per-milestone check used when the tier0_fast guardrails hold.
       */
      tier0_fast?: {
        /**
         * Commands of tier0_fast; the tier passes when every command exits 0.
         *
         * Items: A shell command run in verification.cwd; exit 0 is pass.
         */
        commands?: string[];
        /**
         * Limit in seconds for each tier0_fast command.
         */
        timeout_s?: number;
      };
      /**
       * tier1: a broader check forced by risk triggers.
       */
      tier1?: {
        /**
         * Commands of tier1; the tier passes when every command exits 0.
         *
         * Items: A shell command run in verification.cwd; exit 0 is pass.
         */
        commands?: string[];
        /**
         * Limit in seconds for each tier1 command. A tier1 command past its limit is skipped and recorded.
         */
        timeout_s?: number;
      };
      /**
       * tier2: the run-end verification (the full suite).
       */
      tier2?: {
        /**
         * Commands of tier2; the tier passes when every command exits 0.
         *
         * Items: A shell command run in verification.cwd; exit 0 is pass.
         */
        commands?: string[];
        /**
         * Limit in seconds for each tier2 command.
         */
        timeout_s?: number;
      };
    };
    /**
     * Changed paths that force a higher tier than the one selected.
     *
     * Items: One risk trigger: when a changed path matches, at least `tier` runs.
     */
    risk_triggers?: {
      /**
       * A name for the trigger, shown in the timeline (verify.selected).
       */
      name: string;
      /**
       * Repo-relative globs; a changed path matching any of them fires the trigger.
       *
       * @minItems 1
       *
       * Items: A repo-relative glob.
       */
      paths: [string, ...string[]];
      /**
       * The tier the trigger forces (at least).
       */
      tier: 'tier0' | 'tier0_fast' | 'tier1' | 'tier2';
    }[];
    /**
     * Bound of the verify → fix loop per milestone.
     */
    max_attempts?: number;
  };
  /**
   * When the quicker tier0_fast may replace tier0.
   */
  tier0_fast?: {
    /**
     * Allow tier0_fast at all.
     */
    enabled?: boolean;
    /**
     * At most this many changed files.
     */
    max_files?: number;
    /**
     * At most this many changed lines.
     */
    max_loc?: number;
    /**
     * The last N runs must have been green.
     */
    require_green_runs?: number;
  };
  /**
   * When the reviewer is skipped: every guardrail holds (green, small, no risk trigger, no unexpected new file, no test-count or config regression); the reason is logged as review_skipped_reason.
   */
  auto_approve?: {
    /**
     * Allow auto-approval at all.
     */
    enabled?: boolean;
    /**
     * At most this many changed files.
     */
    max_files?: number;
    /**
     * At most this many changed lines.
     */
    max_loc?: number;
  };
  /**
   * Limits of a run; reaching one stops the run resumably (budget_exhausted).
   */
  budgets?: {
    /**
     * At most this many steps executed (a tick is one step).
     */
    max_ticks?: number;
    /**
     * Wall-clock limit of the run in minutes.
     */
    time_min?: number;
    /**
     * At most this many worker calls per milestone.
     */
    worker_calls_per_milestone?: number;
    /**
     * Wall-clock limit of one worker call in seconds (a worker may set its own timeout_s).
     */
    worker_timeout_s?: number;
    /**
     * Limit in seconds on a worker call producing no output.
     */
    worker_idle_timeout_s?: number;
    /**
     * Repair prompts allowed after a missing or invalid markers block before parse_failed.
     */
    parse_retries?: number;
    /**
     * Review rounds (request_changes → implement) per milestone before review_rejected.
     */
    review_rounds?: number;
    /**
     * Stop when the reported worker cost exceeds this many US dollars; null for no limit.
     */
    cost_usd?: number | null;
  };
  /**
   * What the run store keeps of each worker call.
   */
  transcripts?: {
    /**
     * Raw capture cap per call in bytes (recorded in meta.json); also what the log of one verification, set-up or command-step command keeps (past it, the log says how much it left out and ends with the last 64 KiB).
     */
    raw_cap_bytes?: number;
    /**
     * Environment variable name patterns whose values the engine never writes.
     *
     * Items: A repo-relative glob (picomatch syntax).
     */
    redact?: string[];
  };
  /**
   * The OS sandbox (bubblewrap) that every worker and every verification or command-step command runs in. See docs/governance.md.
   */
  sandbox?: {
    /**
     * auto: bubblewrap when its probe works, else no OS sandbox with a visible warning; bwrap: bubblewrap or no run (doctor blocks, exit 4); off: no OS sandbox (the CLIs' own sandboxes and the engine's checks after each step only).
     */
    mode?: 'auto' | 'bwrap' | 'off';
    /**
     * Extra absolute paths a sandboxed process may write besides its workspace, its private home and its private /tmp (e.g. a package cache). Network access is never restricted.
     *
     * Items: An absolute path (file or directory); one that does not exist is skipped.
     */
    writable?: string[];
    /**
     * false (default): a sandboxed process cannot make a Unix domain socket (socket(AF_UNIX) fails with EPERM, by seccomp; socketpair and every other socket family still work), so it cannot connect to the user's services the read-only filesystem shows (an ssh ControlMaster in ~/.ssh, gpg-agent, a Docker or LXD socket). true: allowed, for a test suite that serves or reaches one; a worker can then use any socket it can see.
     */
    allow_unix_sockets?: boolean;
  };
  /**
   * The read-only explore step.
   */
  explore?: {
    /**
     * auto: on for greenfield (empty or new repo), off for incremental; on; off.
     */
    mode?: 'auto' | 'on' | 'off';
  };
  /**
   * The run's workspace, a clone of the base commit outside the repository (contract section 5).
   */
  workspace?: {
    /**
     * Globs of git-ignored paths of the user's checkout (installed dependencies, build output) that the workspace sees, read-only to workers: linked into the workspace and, under the OS sandbox, on a read-only filesystem; without it, a change through them stops the run. null: node_modules when the repository has a package.json; [] shares nothing.
     */
    share?: string[] | null;
    /**
     * Shell commands run once in each new workspace before the first step (e.g. `npm ci --prefer-offline`), under the same sandbox and environment as verification, each limited by verification.tiers.tier2.timeout_s. Recorded as workspace.setup with duration and log; a failure, or a change to a tracked file, stops the run. With set-up commands, workspace.share: null shares nothing.
     */
    setup?: string[];
  };
  /**
   * Checkpoint commits.
   */
  git?: {
    /**
     * Checkpoint commit identity as "Name <email>"; null uses git's identity, or Engine <engine@localhost> when git has none.
     */
    author?: string | null;
  };
  /**
   * Targets the report compares KPIs against.
   */
  kpi_targets?: {
    /**
     * Median time per milestone in seconds.
     */
    milestone_median_s?: number;
    /**
     * 90th percentile time per milestone in seconds.
     */
    milestone_p90_s?: number;
    /**
     * Total time of a greenfield run in seconds.
     */
    bootstrap_total_s?: number;
    /**
     * Median worker calls per milestone.
     */
    calls_median?: number;
    /**
     * 90th percentile worker calls per milestone.
     */
    calls_p90?: number;
    /**
     * Median tier0 time in seconds.
     */
    tier0_median_s?: number;
    /**
     * 90th percentile tier0 time in seconds.
     */
    tier0_p90_s?: number;
    /**
     * Longest tier1 run in seconds.
     */
    tier1_max_s?: number;
    /**
     * Parse failures per 100 worker calls.
     */
    parse_failures_per_100?: number;
    /**
     * Share of milestones with any verify, parse or review retry (0..1).
     */
    retry_rate?: number;
    /**
     * Human interventions (resume --force, manual edits detected at resume).
     */
    human_interventions?: number;
    /**
     * Governance violations.
     */
    governance_violations?: number;
    /**
     * Longest workspace set-up (workspace.setup) a run may take, in seconds; report marks a run over it.
     */
    workspace_setup_s?: number;
    /**
     * Planned file path variance across repeats of one task (same goal and seed): distinct planned-path sets beyond the first, summed over tasks.
     */
    path_variance?: number;
    /**
     * Test outcome variance across repeats of one task (same goal and seed): distinct test-outcome sequences beyond the first, summed over tasks.
     */
    outcome_variance?: number;
  };
}
