// Every `reef` subcommand, in the order `reef --help` lists them. Add a command by adding its module here.
import type { Command } from "commander";
import { register as eventsCommand } from "./events";
import { register as replayCommand } from "./replay";

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [eventsCommand, replayCommand];
