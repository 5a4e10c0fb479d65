// Lint: typescript-eslint's recommended type-aware rules plus @pulumi/eslint-plugin, which
// catches Outputs used in template literals (use pulumi.interpolate).
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    {
        ignores: [
            "dist/**",
            "node_modules/**",
            ".lab/**",
            ".pulumi-state/**",
            "eslint.config.mjs",
            // A separate program, type-checked against the packed package by test/engine/consumerExample.test.ts.
            "examples/**",
        ],
    },
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
        },
    },
    {
        // Tests read loosely typed mock inputs and JSON.
        files: ["test/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-floating-promises": "off", // node:test describe/it
        },
    },
);
