import type { Command } from '../command.js';
import { validateCommand } from './validate.js';
import { policyCommand } from './policy.js';
import { initCommand } from './init.js';
import { schemaCommand } from './schema.js';
import { stubModelCommand } from './stub-model.js';
import { runCommand } from './run.js';
import { resumeCommand } from './resume.js';
import { demoCommand } from './demo.js';
import { suiteCommand } from './suite.js';
import { doctorCommand } from './doctor.js';
import { reportCommand } from './report.js';
import { cleanCommand } from './clean.js';

/**
 * Every subcommand, in the order `engine --help` lists them. Each lives in its own file;
 * adding a command is adding a file and a line here.
 */
export const commands: Command[] = [runCommand, resumeCommand, reportCommand, validateCommand, policyCommand, doctorCommand, suiteCommand, initCommand, cleanCommand, schemaCommand, stubModelCommand, demoCommand];
