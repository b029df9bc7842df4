/**
 * Third-party actions the workflows may use, with the commit each release
 * tag points to. Each SHA was read from the action's own repository
 * (`git rev-parse <tag>^{commit}` on a mirror of it), not typed from memory;
 * a bump adds the new row the same way (docs/ci-cd.md, "Updating an action").
 */
export const VERIFIED_ACTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'actions/checkout': { 'v7.0.1': '3d3c42e5aac5ba805825da76410c181273ba90b1' },
  'actions/setup-node': { 'v7.0.0': '820762786026740c76f36085b0efc47a31fe5020' },
  'actions/github-script': { 'v8.0.0': 'ed597411d8f924073f98dfc5c65a23a2325f34cd' },
  'actions/upload-artifact': { 'v7.0.0': 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f' },
  'actions/download-artifact': { 'v8.0.1': '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c' },
  'google-github-actions/auth': { 'v3.0.0': '7c6bc770dae815cd3e89ee6cdf493a5fab2cc093' },
  'google-github-actions/setup-gcloud': { 'v3.0.1': 'aa5489c8933f4cc7a4f7d45035b3b1440c9c10db' },
  'google-github-actions/get-gke-credentials': { 'v3.0.0': '3da1e46a907576cefaa90c484278bb5b259dd395' },
  'docker/setup-buildx-action': { 'v4.3.0': '37fe631027851001ddb9b187196cc803df7f5f0e' },
  'docker/login-action': { 'v4.1.0': '4907a6ddec9925e35a0a9e82d7399ccc52663121' },
  'docker/build-push-action': { 'v7.3.0': '53b7df96c91f9c12dcc8a07bcb9ccacbed38856a' },
  'hashicorp/setup-terraform': { 'v4.0.1': 'dfe3c3f87815947d99a8997f908cb6525fc44e9e' },
};
