import { killMatrix } from './mutants.js';

killMatrix(0);
