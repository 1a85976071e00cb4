// `npm run settings:docs`: writes the README's configuration tables from the schema.
import { readFileSync, writeFileSync } from "node:fs";
import { withSettingsTables } from "./docs";

const file = new URL("../../README.md", import.meta.url);
const before = readFileSync(file, "utf8");
const after = withSettingsTables(before);
if (after !== before) writeFileSync(file, after);
process.stdout.write(
  after === before ? "README.md: settings tables up to date\n" : "README.md: settings tables written\n",
);
