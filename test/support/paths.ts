/** Where the project and the test tree are, for specs that read or run files by path (wherever the spec sits in test/). */
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const TEST_ROOT = path.join(PROJECT_ROOT, "test");
