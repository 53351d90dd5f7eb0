"""A string flag restricted to a few values (rules_python's enum flags)."""

FlagInfo = provider("The value of a choice_flag.", fields = ["value"])

def _choice_flag_impl(ctx):
    value = ctx.build_setting_value
    if value not in ctx.attr.values:
        fail("%s: %r is not one of %s" % (ctx.label, value, ctx.attr.values))
    return [FlagInfo(value = value)]

choice_flag = rule(
    implementation = _choice_flag_impl,
    build_setting = config.string(flag = True),
    attrs = {"values": attr.string_list(mandatory = True)},
)
