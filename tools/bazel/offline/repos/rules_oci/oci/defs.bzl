"""Stand-ins for rules_oci 2.3.0's oci_image and oci_load macros.

The macros make the same targets as rules_oci and pass attributes on the same
way: every helper target (`<name>_write_env`, `<name>_write_entrypoint`,
`<name>_write_tags`, `<name>.digest`, ...) gets the common attributes
(testonly, tags, visibility, ...) of the macro call, through
propagate_common_rule_attributes.

What they build differs: rules_oci assembles an OCI layout with crane/regctl,
which are downloads. Here `oci_image` writes a Docker build context (a
Dockerfile `FROM <base>`, `ADD` of each layer tar, which Docker unpacks with its
symlinks as they are, ENV/ENTRYPOINT/CMD/WORKDIR/LABEL) and `oci_load` is a
`bazel run` target that builds it with `docker build --network none`.
"""

load("@tar.bzl//tar:common.bzl", "propagate_common_rule_attributes")

def _write_lines_impl(ctx):
    ctx.actions.write(ctx.outputs.out, "".join([line + "\n" for line in ctx.attr.content]))
    return [DefaultInfo(files = depset([ctx.outputs.out]))]

_write_lines = rule(
    implementation = _write_lines_impl,
    attrs = {"content": attr.string_list(), "out": attr.output(mandatory = True)},
)

# How each file written by the macro becomes Dockerfile instructions: KEY=VALUE
# lines as JSON-quoted ENV/LABEL pairs, an argv (one line each) as the exec form
# of ENTRYPOINT/CMD.
_PAIRS = "  while IFS== read -r k v; do printf '{kind} %s=%s\\n' \"$k\" \"$(printf '%s' \"$v\" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')\"; done < {path}"
_ARGV = "  echo \"{kind} $(/usr/bin/python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read().splitlines()))' {path})\""
_INSTRUCTIONS = [
    ("env", "ENV", _PAIRS),
    ("labels", "LABEL", _PAIRS),
    ("entrypoint", "ENTRYPOINT", _ARGV),
    ("cmd", "CMD", _ARGV),
]

def _oci_image_impl(ctx):
    dockerfile = ctx.actions.declare_file(ctx.attr.name + ".Dockerfile")
    out = ctx.actions.declare_file(ctx.attr.name + ".context.tar")
    layers = ctx.files.tars
    inputs = [ctx.file.base] + layers
    script = ["set -euo pipefail", 'dir="%s.d"; rm -rf "$dir"; mkdir -p "$dir"' % out.path]
    script.append('{ echo "FROM $(cat %s)"' % ctx.file.base.path)
    for i, _ in enumerate(layers):
        script.append('  echo "ADD layer%d.tar /"' % i)

    for attr_name, kind, line in _INSTRUCTIONS:
        f = getattr(ctx.file, attr_name)
        if f:
            inputs.append(f)
            script.append(line.format(kind = kind, path = f.path))
    if ctx.attr.workdir:
        script.append('  echo "WORKDIR %s"' % ctx.attr.workdir)
    script.append('} > "$dir/Dockerfile"')
    script.append('cp "$dir/Dockerfile" %s' % dockerfile.path)
    for i, layer in enumerate(layers):
        script.append('cp %s "$dir/layer%d.tar"' % (layer.path, i))
    script.append('tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf %s .' % out.path)
    script.append('rm -rf "$dir"')
    ctx.actions.run_shell(
        inputs = inputs,
        outputs = [out, dockerfile],
        command = "\n".join(script),
        mnemonic = "OciImageContext",
    )
    return [DefaultInfo(files = depset([out]))]

_oci_image_rule = rule(
    implementation = _oci_image_impl,
    attrs = {
        "base": attr.label(allow_single_file = True, mandatory = True),
        "cmd": attr.label(allow_single_file = True),
        "entrypoint": attr.label(allow_single_file = True),
        "env": attr.label(allow_single_file = True),
        "labels": attr.label(allow_single_file = True),
        "tars": attr.label_list(allow_files = [".tar"]),
        "workdir": attr.string(),
    },
)

def _digest_impl(ctx):
    ctx.actions.run_shell(
        inputs = [ctx.file.image],
        outputs = [ctx.outputs.out],
        command = 'echo "sha256:$(sha256sum %s | cut -d" " -f1)" > %s' % (ctx.file.image.path, ctx.outputs.out.path),
    )
    return [DefaultInfo(files = depset([ctx.outputs.out]))]

_digest = rule(
    implementation = _digest_impl,
    attrs = {"image": attr.label(allow_single_file = True), "out": attr.output()},
)

def oci_image(name, labels = None, env = None, cmd = None, entrypoint = None, **kwargs):
    """oci_image as rules_oci's macro: helper targets get the common attributes.

    Args:
      name: the image target.
      labels: dict of image labels.
      env: dict of environment variables.
      cmd: list, the default command.
      entrypoint: list, the entrypoint.
      **kwargs: base, tars, workdir and common attributes.
    """
    forwarded = propagate_common_rule_attributes(kwargs)
    files = {}

    # rules_oci also takes a file label for each of these; the stand-in models
    # only the values written inline, and says so instead of dropping the others.
    for kind, value, type_ in [("labels", labels, "dict"), ("env", env, "dict"), ("cmd", cmd, "list"), ("entrypoint", entrypoint, "list")]:
        if value == None:
            continue
        if type(value) != type_:
            fail("oci_image stand-in: {} must be a {} here, not {}".format(kind, type_, type(value)))
        _write_lines(
            name = "{}_write_{}".format(name, kind),
            out = "{}.{}.txt".format(name, kind),
            content = ["{}={}".format(k, v) for k, v in value.items()] if type_ == "dict" else value,
            **forwarded
        )
        files[kind] = "{}_write_{}".format(name, kind)
    _oci_image_rule(name = name, **dict(kwargs, **files))
    _digest(name = name + ".digest", image = name, out = name + ".digest.txt", **forwarded)

def _oci_load_impl(ctx):
    script = ctx.actions.declare_file(ctx.attr.name + ".sh")
    ctx.actions.write(script, """#!/usr/bin/env bash
set -euo pipefail
# `bazel run` starts in the runfiles root, where these are the files' paths.
tags=()
while read -r tag; do tags+=(-t "$tag"); done < "{tags}"
exec docker build --network none "${{tags[@]}}" - < "{context}"
""".format(tags = ctx.file.repo_tags.short_path, context = ctx.file.image.short_path), is_executable = True)
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [ctx.file.image, ctx.file.repo_tags]),
    )]

_oci_load_rule = rule(
    implementation = _oci_load_impl,
    executable = True,
    attrs = {
        "image": attr.label(allow_single_file = True, mandatory = True),
        "repo_tags": attr.label(allow_single_file = True, mandatory = True),
    },
)

def oci_load(name, repo_tags = None, **kwargs):
    """oci_load as rules_oci's macro: `<name>_write_tags` gets the common attributes.

    Args:
      name: the `bazel run` target.
      repo_tags: list of repository:tag names.
      **kwargs: image and common attributes.
    """
    if type(repo_tags) == "list":
        _write_lines(
            name = "{}_write_tags".format(name),
            out = "{}.tags.txt".format(name),
            content = repo_tags,
            **propagate_common_rule_attributes(kwargs)
        )
        repo_tags = "{}_write_tags".format(name)
    _oci_load_rule(name = name, repo_tags = repo_tags, **kwargs)
