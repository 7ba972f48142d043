import { killMatrix } from './mutants.js';

killMatrix(1);
