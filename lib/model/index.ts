// lib/model: schemas, ids, versions, error codes, and the contracts modules share. Depends on nothing else in reef.
export * from "./errors";
export * from "./definition";
export * from "./status";
export * from "./event";
export * from "./execution";
export * from "./config";
export * from "./lint";
export * from "./log";
export * from "./runner-state";
export * from "./health";
export * from "./job";
export * from "./duration";
export * from "./autoscale";
export * from "./sleep";
export * from "./bounded";
export * from "./defined";
