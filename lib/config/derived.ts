// Values worked out from several settings, each in one place.
import { settingsFrom } from "./settings";

/** AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
export function awsRegion(env: NodeJS.ProcessEnv = process.env): string {
  const s = settingsFrom(env);
  return s.awsRegion ?? s.awsDefaultRegion ?? "us-east-1";
}

/** The local stack's Lambda API (serverless-offline on REEF_LAMBDA_PORT). */
export function localLambdaEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return `http://127.0.0.1:${settingsFrom(env).lambdaPort}`;
}

/**
 * Where the CLI invokes the functions: REEF_LAMBDA_ENDPOINT; else AWS itself (undefined) when AWS
 * credentials are in the environment; else the local stack.
 */
export function cliLambdaEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const s = settingsFrom(env);
  if (s.lambdaEndpoint) return s.lambdaEndpoint;
  if (s.awsProfile || s.awsAccessKeyId) return undefined;
  return localLambdaEndpoint(env);
}

/** The NATS servers of NATS_URL (comma separated). */
export function natsServers(env: NodeJS.ProcessEnv = process.env): string[] {
  return settingsFrom(env)
    .natsUrl.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The log level of reef's own loggers: REEF_LOG_LEVEL, else POWERTOOLS_LOG_LEVEL, else INFO. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const s = settingsFrom(env);
  return (s.logLevel ?? s.powertoolsLogLevel ?? "INFO").toUpperCase();
}
