// A serverless.yml variable source (infra/aws/resources.yml): the reef hosts' container
// `Environment` with --param="executor=host". Their settings (serverless.yml custom.reefHostSettings)
// and, as every execution gets them, the variables REEF_EXECUTION_ENV names (a setting wins over a
// variable of the same name).
"use strict";

const executionEnv = require("../execution-env.cjs");

module.exports = async ({ resolveVariable }) => {
  const settings = await resolveVariable("self:custom.reefHostSettings");
  return Object.entries({ ...executionEnv(), ...settings })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Name, Value]) => ({ Name, Value: String(Value ?? "") }));
};
