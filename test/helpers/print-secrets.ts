import { loadConfig } from '../../server/config';

/** Prints the secrets loadConfig settles on for DATA_DIR; the config test starts several of these at once. */
const config = loadConfig();
process.stdout.write(JSON.stringify({ encryptionKey: config.encryptionKey.toString('hex'), sessionSecret: config.sessionSecret }));
