/**
 * The extensionTestsPath module: VS Code calls run() inside the extension host. Runs every *.test.js beside it with
 * mocha (tdd) and logs a machine-readable summary that test/integration/run.js re-prints as its closing line.
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000 });
  const only = process.env.IT_GREP;
  if (only) mocha.grep(only);
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      console.log(`TEST-SUMMARY: ${passed} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} tests failed.`));
      else if (passed === 0) reject(new Error('no test ran'));
      else resolve();
    });
  });
}
