// Child of checkpoint-kill.test.ts: prunes a checkpoints folder (keeping the
// newest `keep` step folders) once; the parent kills it mid-delete.
import { pruneCheckpoints } from '../../../../main/engine/train/checkpoint';

const [root, keep] = process.argv.slice(2);
process.stdout.write('ready\n');
await pruneCheckpoints(root, Number(keep), new Set());
process.stdout.write('done\n');
