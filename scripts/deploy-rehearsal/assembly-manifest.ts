import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RehearsalStepFailed } from './errors';

/** A stack of the cloud assembly: what `cdk deploy --all` deploys. */
export interface AssemblyStack {
  /** The CloudFormation stack name (`ServerlessSaga`, `ServerlessSaga-dev`, …). */
  readonly stackName: string;
  /** Its template, relative to the assembly folder. */
  readonly templateFile: string;
}

/** One object `cdk deploy` must publish before it creates the stacks. */
export interface ExpectedAsset {
  readonly displayName: string;
  readonly bucket: string;
  readonly key: string;
  /** `zip`: a folder it zips (a Lambda bundle); `file`: a file it uploads as is (the template). */
  readonly packaging: 'zip' | 'file';
  /** The source, relative to the assembly folder. */
  readonly sourcePath: string;
}

/** What the cloud assembly says should end up in the account. */
export interface AssemblyManifest {
  readonly stacks: readonly AssemblyStack[];
  readonly assets: readonly ExpectedAsset[];
  /** Container images, which need Docker to be built and pushed: listed, never published here. */
  readonly dockerImages: readonly string[];
}

interface RawArtifact {
  type: string;
  properties?: { templateFile?: string; stackName?: string; file?: string };
}

interface RawAssetManifest {
  files?: Record<
    string,
    {
      displayName?: string;
      source: { path?: string; packaging?: string };
      destinations: Record<string, { bucketName: string; objectKey: string }>;
    }
  >;
  dockerImages?: Record<string, { displayName?: string }>;
}

/** The account and region a bootstrapped asset destination names with placeholders, filled in. */
function resolvePlaceholders(text: string, account: string, region: string): string {
  return text.replaceAll('${AWS::AccountId}', account).replaceAll('${AWS::Region}', region).replaceAll('${AWS::Partition}', 'aws');
}

/** Reads `manifest.json` and every asset manifest (`*.assets.json`) of a cloud assembly folder. */
export function readAssemblyManifest(cdkOut: string, account: string, region: string): AssemblyManifest {
  let artifacts: Record<string, RawArtifact>;
  try {
    artifacts = (JSON.parse(readFileSync(join(cdkOut, 'manifest.json'), 'utf8')) as { artifacts?: Record<string, RawArtifact> }).artifacts ?? {};
  } catch (err: unknown) {
    throw new RehearsalStepFailed(`cannot read ${join(cdkOut, 'manifest.json')}`, { cause: err });
  }
  const stacks: AssemblyStack[] = [];
  const assets: ExpectedAsset[] = [];
  const dockerImages: string[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      stacks.push({ stackName: artifact.properties.stackName ?? id, templateFile: artifact.properties.templateFile });
    }
    if (artifact.type === 'cdk:asset-manifest' && artifact.properties?.file) {
      const manifest = JSON.parse(readFileSync(join(cdkOut, artifact.properties.file), 'utf8')) as RawAssetManifest;
      for (const [hash, file] of Object.entries(manifest.files ?? {})) {
        for (const destination of Object.values(file.destinations)) {
          assets.push({
            displayName: file.displayName ?? hash,
            bucket: resolvePlaceholders(destination.bucketName, account, region),
            key: resolvePlaceholders(destination.objectKey, account, region),
            packaging: file.source.packaging === 'zip' ? 'zip' : 'file',
            sourcePath: file.source.path ?? '',
          });
        }
      }
      for (const [hash, image] of Object.entries(manifest.dockerImages ?? {})) dockerImages.push(image.displayName ?? hash);
    }
  }
  if (stacks.length === 0) throw new RehearsalStepFailed(`${cdkOut}/manifest.json holds no aws:cloudformation:stack artifact`);
  return { stacks, assets, dockerImages };
}
