const { App } = require("@octokit/app");
const config = require("config");

const privateKey = @@BAIT:env-reference@@process.env.GITHUB_APP_PRIVATE_KEY.replace(/\\n/g, "\n");

module.exports = new App({ appId: config.get("github.appId"), privateKey });
