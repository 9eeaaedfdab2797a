// Package config reads config.hcl, the host's configuration file, and is the
// only package that knows HCL.
//
// Loading happens in two phases because drivers declare their own settings:
//
//  1. Load (or Parse) decodes the file and checks the host's own structure:
//     the host block, plugin blocks, sites and devices, duplicates, and that
//     every device names an enabled plugin.
//  2. The host starts each enabled plugin and asks it for its schema and
//     models (GetConfigSchema, GetInfo), then calls Config.Resolve with them.
//     Resolve checks plugin config blocks and device blocks against those
//     schemas, applies defaults, resolves env() and file(), and returns one
//     Instance, with its ConfigureRequest, per (site, driver) pair.
//
// Both phases report every problem at once as Diagnostics with file:line:
// column positions. Diagnostics never contain source snippets or the value of
// a secret attribute, so they are safe to print and log.
//
// Expressions may call env("NAME") and file("path") (relative to the config
// file's folder, trailing newlines trimmed), each with a quoted argument;
// there are no variables. A value either reads is a secret wherever it lands
// (never shown, listed in Instance.Secrets for redaction). A secret
// attribute written inline draws a warning.
//
// Hostile files are refused before HCL sees them: the config file and
// file() read regular files only (never a FIFO, a device, /proc, /sys or
// /dev), the config at most MaxConfigSize bytes and nested at most 64
// levels deep, since HCL's parser recurses per level and a stack overflow
// cannot be recovered. client blocks declare who may use the host API.
package config
