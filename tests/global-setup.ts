// Makes the tiny GPT-2 fixture models once per test run (deterministic, a few seconds).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export default function setup(): void {
  if (existsSync('tests/fixtures/make-tiny-models.mjs')) {
    execFileSync(process.execPath, ['tests/fixtures/make-tiny-models.mjs'], { stdio: 'inherit' });
  }
}
