import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { IgnoreMode } from "aws-cdk-lib";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";

/** This package's root: `dist/cdk/` (installed) or `src/cdk/` (in the repository) is two levels down. */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Built from the installed package, not from sources: see its header. */
export const PACKAGE_DOCKERFILE = "infra/Dockerfile.package";

/**
 * What the image asset stages from the package root: package.json, dist/ and infra/ (about 1 MB);
 * never node_modules, the README or anything else beside the package.
 */
export const PACKAGE_IMAGE_CONTEXT = ["*", "!package.json", "!dist", "!infra"];

/** The default image: the installed package as a Docker image asset, for the task's linux/amd64. */
export function packagedAgentImage(): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(PACKAGE_ROOT, {
    file: PACKAGE_DOCKERFILE,
    exclude: PACKAGE_IMAGE_CONTEXT,
    ignoreMode: IgnoreMode.DOCKER,
    platform: Platform.LINUX_AMD64,
  });
}

/** Whether the package is built (a repository checkout may not be): the image needs dist/cli.js. */
export function packageIsBuilt(): boolean {
  return existsSync(join(PACKAGE_ROOT, "dist", "cli.js"));
}
