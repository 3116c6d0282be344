// What is alive when this module is evaluated: a file run alone (scripts/group-tests.mjs)
// imports it after tap and before its test file, so the handles tap itself holds are not
// taken for the test file's leftovers.
import { noteAlive } from './left-running.mjs';

export const alive = noteAlive();
