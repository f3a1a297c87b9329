// vitest setup file: after each test file, remove the temp dirs its tests made with tempDir().
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp.js';

afterAll(removeTempDirs);
