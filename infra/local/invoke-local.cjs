// A Serverless Framework plugin (serverless.yml `plugins`) for `serverless invoke local`: osls
// loads a handler as `<handler>.js` or `.cjs`, never `.mjs`, so for that command only the bundles
// are written as `.js` (ESM too: the project's package.json says "type": "module").
// Deployed bundles stay `.mjs`, which Lambda runs as ESM whatever package.json the zip holds.
"use strict";

class ReefInvokeLocal {
  constructor(serverless) {
    const commands = (serverless.processedInput && serverless.processedInput.commands) || [];
    if (commands[0] === "invoke" && commands[1] === "local") {
      const custom = (serverless.service.custom = serverless.service.custom || {});
      custom.esbuild = { ...(custom.esbuild || {}), outputFileExtension: ".js" };
    }
    this.hooks = {};
  }
}

module.exports = ReefInvokeLocal;
