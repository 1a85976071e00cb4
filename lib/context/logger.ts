// reef's JSON-lines logger (AWS Lambda Powertools: the same shape as the functions' logs).
import { Logger } from "@aws-lambda-powertools/logger";
import { logLevel } from "../config";

/** A logger for `service` at REEF_LOG_LEVEL (else POWERTOOLS_LOG_LEVEL, else INFO). */
export function reefLogger(service: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return new Logger({ serviceName: service, logLevel: logLevel(env) as "INFO" });
}
