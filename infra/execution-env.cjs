// A serverless.yml variable source: the variables REEF_EXECUTION_ENV names, with their values from
// the shell that runs `npm start` or `serverless deploy`. serverless.yml gives them to the
// functions that start executions (converge, reconcile); the executors pass only these, plus what
// the runner needs, on to every execution (lib/executors/env.ts).
"use strict";

module.exports = () => {
  const out = {};
  // serverless.yml loads this plain CommonJS file at packaging time, before any of lib/ is built,
  // so it cannot use lib/config; lib/config checks REEF_EXECUTION_ENV where executions start.
  // eslint-disable-next-line no-restricted-syntax
  for (const name of (process.env.REEF_EXECUTION_ENV || "").split(",")) {
    const key = name.trim();
    // a malformed name is reported by the executor (INVALID_SETTING), not here
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && process.env[key] !== undefined) out[key] = process.env[key];
  }
  return out;
};
