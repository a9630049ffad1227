// `gatehouse user groups NAME [GROUP...]`: sets a user's groups to exactly those listed, which
// the gateway's access rules match and the app receives as X-Gatehouse-Groups.
import { GROUP_NAME_RULE, isGroupName, sortedGroups } from "../core/groups.js";
import { synopsis, UsageError, type Command } from "./command.js";
import { CLI_ORIGIN, withUser } from "./context.js";
import { writeOut } from "./io.js";

const groups: Command = {
  path: ["user", "groups"],
  positionals: ["NAME", "[GROUP...]"],
  summary: "Set a user's groups to exactly those listed (none: no groups).",
  details:
    `A group name is ${GROUP_NAME_RULE};\n` +
    "names compare exactly (Admins is not admins). The gateway's access rules\n" +
    "(GATEHOUSE_ACCESS_RULES) let groups through, and the app receives them as\n" +
    "X-Gatehouse-Groups, from the user's next request on. gatehouse user show NAME lists them.",
  async run({ positionals: [name, ...listed] }) {
    // Checked before the database is opened: a bad name changes nothing.
    const bad = listed.find((group) => !isGroupName(group));
    if (bad !== undefined) throw new UsageError(`'${bad}' is not a group name (${GROUP_NAME_RULE})`, `usage: ${synopsis(groups)}`);
    const wanted = sortedGroups(listed);
    const user = await withUser(name!, async (services, found) => {
      await services.store.groups.setGroups(found.id, wanted);
      await services.events.record({ type: "admin-groups-set", origin: CLI_ORIGIN, userId: found.id, detail: { groups: wanted.join(",") } });
      return found;
    });
    writeOut(wanted.length === 0 ? `${user.username} is now in no group` : `groups of ${user.username}: ${wanted.join(", ")}`);
  },
};

export const userGroupCommands: Command[] = [groups];
