// Errors of the local stack (`reef up` / `reef down`).
export class LocalStackError extends Error {
  readonly code = "LOCAL_STACK";
  override name = "LocalStackError";
}
