// Every `reef` subcommand, in the order `reef --help` lists them. Add a command by adding its module here.
import type { Command } from "commander";
import { register as initCommand } from "./init";
import { register as applyCommand } from "./apply";
import { register as listCommand } from "./list";
import { register as getCommand } from "./get";
import { register as statusCommand } from "./status";
import { register as topCommand } from "./top";
import { register as publishCommand } from "./publish";
import { register as pauseCommand } from "./pause";
import { register as draftCommand } from "./draft";
import { register as scaleCommand } from "./scale";
import { register as deleteCommand } from "./delete";
import { register as versionsCommand } from "./versions";
import { register as rollbackCommand } from "./rollback";
import { register as diffCommand } from "./diff";
import { register as logsCommand } from "./logs";
import { register as graphCommand } from "./graph";
import { register as runCommand } from "./run";
import { register as lintCommand } from "./lint";
import { register as testCommand } from "./test";
import { register as eventsCommand } from "./events";
import { register as replayCommand } from "./replay";
import { register as upCommand } from "./up";
import { register as downCommand } from "./down";
import { register as bridgeCommand } from "./bridge";
import { register as hostCommand } from "./host";
import { register as reconcileCommand } from "./reconcile";
import { register as bloblCommand } from "./blobl";
import { register as triggerCommand } from "./trigger";

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  initCommand,
  applyCommand,
  listCommand,
  getCommand,
  statusCommand,
  topCommand,
  publishCommand,
  pauseCommand,
  draftCommand,
  scaleCommand,
  deleteCommand,
  versionsCommand,
  rollbackCommand,
  diffCommand,
  logsCommand,
  graphCommand,
  runCommand,
  lintCommand,
  testCommand,
  eventsCommand,
  replayCommand,
  upCommand,
  downCommand,
  bridgeCommand,
  hostCommand,
  reconcileCommand,
  triggerCommand,
  bloblCommand,
];
