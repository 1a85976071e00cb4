// A Serverless Framework plugin (serverless.yml `plugins`) that stops `serverless package` and
// `serverless deploy` before anything is built when the AWS parameters are missing or wrong
// (infra/aws/README.md). `serverless offline` never runs these hooks, so the local stack keeps
// its defaults.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const AUTH = ["none", "token", "userpass"];
const CONSOLE_AUTH = ["cognito", "oidc"];

class ReefDeployChecks {
  constructor(serverless) {
    this.serverless = serverless;
    const check = () => this.check();
    this.hooks = {
      "before:package:initialize": check,
      "before:deploy:function:initialize": check,
    };
  }

  check() {
    const p = (this.serverless.service.custom || {}).reefAws || {};
    const problems = []; // [the parameter to pass, what is wrong now]
    const need = (param, now) => problems.push([param, now]);
    if (p.executor !== "ecs" && p.executor !== "host") need("executor=ecs|host", p.executor);
    if (p.executor === "host") {
      if (!/^\d+$/.test(String(p.hostCount)))
        need("hostCount=<reef hosts to run: 0 on the very first deploy, then 1 or more>", p.hostCount);
      if (p.hostMaxMemory && !/^\d+(\.\d+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/i.test(String(p.hostMaxMemory)))
        need("hostMaxMemory=<REEF_HOST_MAX_MEMORY, e.g. 1536MiB>", p.hostMaxMemory);
    }
    if (!p.natsUrl || /\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(p.natsUrl)) {
      need("natsUrl=<NATS URL reachable from AWS>", p.natsUrl);
    }
    if (!p.vpcId) need("vpcId=<vpc id>", p.vpcId);
    if (!p.subnets) need("subnets=<subnet ids, comma-separated>", p.subnets);
    if (!AUTH.includes(p.natsAuth)) need(`natsAuth=${AUTH.join("|")}`, p.natsAuth);
    if (p.natsAuth !== "none" && !/^arn:aws[a-z-]*:secretsmanager:/.test(p.natsCredsSecretArn || "")) {
      need("natsCredsSecretArn=<full ARN of the secret>", p.natsCredsSecretArn);
    }
    if (p.natsAuth === "none" && p.natsCredsSecretArn) {
      need("natsAuth=token|userpass (natsCredsSecretArn is given: say which keys it holds)", p.natsAuth);
    }
    if (!["ENABLED", "DISABLED"].includes(p.assignPublicIp))
      need("assignPublicIp=ENABLED|DISABLED", p.assignPublicIp);
    if (!["X86_64", "ARM64"].includes(p.cpuArchitecture))
      need("cpuArchitecture=X86_64|ARM64", p.cpuArchitecture);
    if (!["true", "false"].includes(String(p.functionsInVpc)))
      need("functionsInVpc=true|false", p.functionsInVpc);
    if (!CONSOLE_AUTH.includes(p.consoleAuth)) need(`consoleAuth=${CONSOLE_AUTH.join("|")}`, p.consoleAuth);
    if (p.consoleAuth === "oidc") {
      if (!/^https:\/\//.test(p.consoleIssuerUrl || ""))
        need("consoleIssuerUrl=<https URL of your OpenID Connect issuer>", p.consoleIssuerUrl);
      if (!p.consoleClientId)
        need("consoleClientId=<the console's public client id at that issuer>", p.consoleClientId);
    }
    if (p.consoleUrl && !/^https:\/\/.+\/ui$/.test(p.consoleUrl))
      need("consoleUrl=https://<your domain>/ui", p.consoleUrl);
    const ServerlessError = this.serverless.classes.Error;
    if (problems.length) {
      throw new ServerlessError(
        "reef in AWS needs these parameters (infra/aws/README.md):\n" +
          problems
            .map(([param, now]) => `  --param="${param}"   (now: ${JSON.stringify(now ?? "")})`)
            .join("\n"),
        "REEF_DEPLOY_PARAMETERS",
      );
    }
    // the api function ships the console's build (serverless.yml package.patterns)
    const page = path.join(this.serverless.serviceDir || process.cwd(), "dist", "console", "index.html");
    if (!fs.existsSync(page)) {
      throw new ServerlessError(
        `the web console is not built (no ${page}): run npm run build before packaging`,
        "REEF_CONSOLE_NOT_BUILT",
      );
    }
  }
}

module.exports = ReefDeployChecks;
