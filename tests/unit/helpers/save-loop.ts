// Child process of save-kill.test.ts: saves two big, distinct documents in
// turn with writeFileAtomic until it is killed. It prints "ready" once the
// loop runs so that the parent kills it mid-save, not mid-start-up.
import { writeFileAtomic } from '../../../main/services/atomic-write';

const [target, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);
const versions = ['A', 'B'].map((ch) => `# ${ch}\n` + ch.repeat(size));

let i = 0;
let announced = false;
for (;;) {
  await writeFileAtomic(target, versions[i % 2]);
  i++;
  if (!announced) {
    announced = true;
    process.stdout.write('ready\n');
  }
}
