/**
 * A `secretKeyRef` without `auth.secretStore` reads the environment, as Dapr's
 * standalone mode does with its default env store: the variable of that exact
 * name is a secret whose only key is the name.
 */
export async function envSecret(name: string): Promise<Record<string, string> | undefined> {
  const value = process.env[name];
  return value === undefined ? undefined : { [name]: value };
}
