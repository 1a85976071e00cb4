import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { natsOptions } from "../../lib/engine/runtime/nats";
import { tempDir } from "./helpers";

// A syntactically valid creds file (JWT + user seed) as `nsc` writes them; never used to connect.
const CREDS = `-----BEGIN NATS USER JWT-----
eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJBQkMiLCJpYXQiOjE2MDAwMDAwMDAsImlzcyI6IkFBQUEiLCJuYW1lIjoidSIsInN1YiI6IlVBQUEiLCJuYXRzIjp7fX0.c2ln
------END NATS USER JWT------

-----BEGIN USER NKEY SEED-----
SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4
------END USER NKEY SEED------
`;

describe("NATS connection options", () => {
  it("takes user:password or a token from the URL", () => {
    expect(natsOptions({ urls: ["nats://alice:pw@127.0.0.1:4222"] }, {})).toMatchObject({
      servers: ["nats://127.0.0.1:4222"],
      user: "alice",
      pass: "pw",
    });
    expect(natsOptions({ urls: ["nats://tok@127.0.0.1:4222,nats://127.0.0.1:4223"] }, {})).toMatchObject({
      servers: ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"],
      token: "tok",
    });
  });

  it("uses auth.user_credentials_file when set, ignoring the env fallback", () => {
    const creds = join(tempDir(), "u.creds");
    writeFileSync(creds, CREDS);
    const o = natsOptions(
      { urls: ["nats://127.0.0.1:4222"], auth: { user_credentials_file: creds } },
      { NATS_TOKEN: "t" },
    );
    expect(typeof o.authenticator).toBe("function");
    expect(o.token).toBeUndefined();
  });

  it("falls back to NATS_CREDS, NATS_TOKEN, NATS_USER+NATS_PASSWORD when the component sets no auth", () => {
    const creds = join(tempDir(), "env.creds");
    writeFileSync(creds, CREDS);
    const urls = ["nats://127.0.0.1:4222"];
    expect(typeof natsOptions({ urls }, { NATS_CREDS: creds, NATS_TOKEN: "t" }).authenticator).toBe(
      "function",
    );
    expect(natsOptions({ urls }, { NATS_TOKEN: "t" })).toMatchObject({ token: "t" });
    expect(natsOptions({ urls }, { NATS_USER: "u", NATS_PASSWORD: "p" })).toMatchObject({
      user: "u",
      pass: "p",
    });
    expect(natsOptions({ urls }, {})).toEqual({ servers: urls });
  });
});
