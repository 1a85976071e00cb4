// Errors of the local stack (`reef up` / `reef down`).
import { ReefError } from "../model";

export class LocalStackError extends ReefError<"LOCAL_STACK"> {
  override name = "LocalStackError";
  constructor(message: string) {
    super("LOCAL_STACK", message);
  }
}
