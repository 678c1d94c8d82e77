// prettier, run by pre-commit on the XML files (see .pre-commit-config.yaml).
// A .cjs file rather than .prettierrc.yml: prettier 3 looks a plugin named in a
// YAML or JSON config up from this folder, where it is not installed, while
// require.resolve also searches NODE_PATH, which pre-commit points at its own
// node_modules (https://github.com/prettier/prettier/issues/15388).

/** @type {import('prettier').Config} */
const config = {
    plugins: [require.resolve("@prettier/plugin-xml")],
    printWidth: 100,
    tabWidth: 4,
    bracketSpacing: false,
    xmlSelfClosingSpace: true,
    xmlWhitespaceSensitivity: "ignore",
};

module.exports = config;
