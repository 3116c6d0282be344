import type { Command } from '../command.js';
import { stubModelCommand } from './stub-model.js';

/**
 * Every subcommand, in the order `engine --help` lists them. Each lives in its own file;
 * adding a command is adding a file and a line here.
 */
export const commands: Command[] = [stubModelCommand];
