// Every `reef` subcommand, in the order `reef --help` lists them. Add a command by adding its module here.
import type { Command } from "commander";
import { register as eventsCommand } from "./events";
import { register as replayCommand } from "./replay";
import { register as upCommand } from "./up";
import { register as downCommand } from "./down";
import { register as bridgeCommand } from "./bridge";
import { register as reconcileCommand } from "./reconcile";

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  eventsCommand,
  replayCommand,
  upCommand,
  downCommand,
  bridgeCommand,
  reconcileCommand,
];
