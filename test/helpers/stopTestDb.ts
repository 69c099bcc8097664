// Stops the embedded server the test suite started (scripts/test.sh calls this on exit).
import { stopEmbedded } from '../../src/db/embedded.ts';
import { TEST_PG_DIR, quietLogger } from './db.ts';

await stopEmbedded(TEST_PG_DIR, quietLogger());
