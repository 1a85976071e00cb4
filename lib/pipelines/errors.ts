// Lifecycle errors. Each has a stable `code`; the API maps codes to HTTP statuses
// (lib/api/errors.ts) and the CLI prints `error [CODE]: message`.

import { ReefError, type LintIssue } from "../model";

export type LifecycleErrorCode =
  | "NOT_FOUND"
  | "VERSION_NOT_FOUND"
  | "STATUS_NOT_FOUND"
  | "ALREADY_EXISTS"
  | "CONFLICT"
  | "VERSION_CONFLICT"
  | "REVISION_MISMATCH"
  | "LINT_FAILED"
  | "INVALID_MANIFEST"
  | "VALIDATION_FAILED";

export class LifecycleError extends ReefError<LifecycleErrorCode> {
  override name = "LifecycleError";
}

export class PipelineNotFoundError extends LifecycleError {
  override name = "PipelineNotFoundError";
  constructor(id: string) {
    super("NOT_FOUND", `pipeline ${id} not found`, { id });
  }
}

export class VersionNotFoundError extends LifecycleError {
  override name = "VersionNotFoundError";
  constructor(id: string, version: string) {
    super("VERSION_NOT_FOUND", `pipeline ${id} has no version ${version}`, { id, version });
  }
}

export class StatusNotFoundError extends LifecycleError {
  override name = "StatusNotFoundError";
  constructor(id: string) {
    super(
      "STATUS_NOT_FOUND",
      `pipeline ${id} has no observed status yet (the control plane has not converged it)`,
      {
        id,
      },
    );
  }
}

export class PipelineExistsError extends LifecycleError {
  override name = "PipelineExistsError";
  constructor(id: string, revision: number) {
    super("ALREADY_EXISTS", `pipeline ${id} already exists (revision ${revision})`, { id, revision });
  }
}

/** Another writer kept changing the definition while we retried our compare-and-set. */
export class ConflictError extends LifecycleError {
  override name = "ConflictError";
  constructor(id: string, attempts: number) {
    super(
      "CONFLICT",
      `pipeline ${id} was changed concurrently ${attempts} times; nothing written, try again`,
      {
        id,
        attempts,
      },
    );
  }
}

/** A version name that exists with other content (versions are immutable). */
export class VersionConflictError extends LifecycleError {
  override name = "VersionConflictError";
  constructor(id: string, version: string) {
    super(
      "VERSION_CONFLICT",
      `version ${version} of ${id} already exists with other content; versions are immutable`,
      {
        id,
        version,
      },
    );
  }
}

/** The caller's expected revision (CLI --revision, API If-Match) is not the current one. */
export class RevisionMismatchError extends LifecycleError {
  override name = "RevisionMismatchError";
  constructor(id: string, expected: number, actual: number | null) {
    super(
      "REVISION_MISMATCH",
      `pipeline ${id} is at revision ${actual ?? "none"}, not ${expected}: someone else changed it; read it again`,
      { id, expected, actual },
    );
  }
}

export class LintFailedError extends LifecycleError {
  override name = "LintFailedError";
  constructor(
    id: string,
    version: string,
    readonly issues: LintIssue[],
    linter: string,
  ) {
    const errors = issues.filter((i) => i.level === "error");
    super(
      "LINT_FAILED",
      `config ${id}/${version} has ${errors.length} lint error${errors.length === 1 ? "" : "s"} (${linter}); not published (force publishes anyway):\n` +
        errors.map((e) => `  ${e.line}:${e.column} ${e.path ? `${e.path}: ` : ""}${e.message}`).join("\n"),
      { id, version, linter, issues },
    );
  }
}

export class ManifestError extends LifecycleError {
  override name = "ManifestError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("INVALID_MANIFEST", message, details);
  }
}

export class ValidationError extends LifecycleError {
  override name = "ValidationError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("VALIDATION_FAILED", message, details);
  }
}
