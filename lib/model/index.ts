// lib/model: schemas, ids, versions, error codes. Depends on nothing else in reef.
export * from "./errors";
export * from "./definition";
export * from "./status";
export * from "./event";
export * from "./execution";
