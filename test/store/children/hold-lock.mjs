// Holds a DuckDB file open for writing (like a running `fte sweep`) until killed; prints "ready".
import { DuckDBInstance } from '@duckdb/node-api';
const instance = await DuckDBInstance.create(process.argv[2]);
await instance.connect();
process.stdout.write('ready\n');
setInterval(() => {}, 1000);
