/** The product's base error: every error telco-kpi raises on purpose is one of these. */
export class TelcoKpiError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A command was called wrongly (CLI exit code 2). */
export class UsageError extends TelcoKpiError {}

/** A configuration file or variable is missing or malformed. */
export class ConfigError extends TelcoKpiError {}
