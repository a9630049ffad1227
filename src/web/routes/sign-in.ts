// The password step: register, sign in, sign out.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { CredentialsForm, parseForm, RegisterForm } from "../forms.js";
import { originOf } from "../origin.js";
import type { SitePaths } from "../paths.js";
import { loginPage, registerPage, signOutPage, type InvitationView } from "../views/sign-in.js";
import { createRouteHelpers, redirect, sendPage, type RouteContext } from "./context.js";

function queryNext(request: FastifyRequest, paths: SitePaths): string {
  return paths.next((request.query as Record<string, unknown> | undefined)?.["next"]);
}

/** A single text value of the query or the form; anything else counts as absent. */
function textField(fields: unknown, name: string): string | undefined {
  const value = (fields as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : undefined;
}

/** What the refused form held (plain, bounded strings only), to fill it in again. */
function refill(request: FastifyRequest, paths: SitePaths, error: string) {
  const body = request.body as Record<string, unknown> | undefined;
  const username = body?.["username"];
  return {
    error,
    username: typeof username === "string" && username.length <= 256 ? username : undefined,
    next: paths.next(body?.["next"]),
  };
}

export function signInRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps, paths } = route;
  const { registration } = deps.invitations;

  /** The invitation `token` admits its holder with, for the form; REGISTRATION_CLOSED otherwise. */
  async function invitationView(token: string | undefined): Promise<InvitationView | undefined> {
    const invitation = await deps.invitations.admit(token);
    return invitation && token !== undefined ? { token, username: invitation.username } : undefined;
  }

  app.get("/login", async (request, reply) => {
    const next = queryNext(request, paths);
    if (deps.signIn.stepOf(request.visitor.visit) === "done") return redirect(reply, next);
    return sendPage(reply, loginPage(helpers.pageContextWithCookie(request, reply), { next, registration }));
  });

  app.post(
    "/login",
    {
      config: {
        renderFormError: async (request, reply, error) =>
          loginPage(helpers.pageContextWithCookie(request, reply), { ...refill(request, paths, error), registration }),
      },
    },
    async (request, reply) => {
      const form = parseForm(CredentialsForm, request.body);
      const decision = await deps.passwordStep.withPassword(
        request.visitor.visit,
        { username: form.username, password: form.password, nextPath: paths.next(form.next), rememberedTokens: helpers.rememberedTokens(request) },
        originOf(request),
      );
      return helpers.apply(request, reply, decision);
    },
  );

  app.get("/register", async (request, reply) => {
    const invitation = await invitationView(textField(request.query, "invite"));
    return sendPage(reply, registerPage(helpers.pageContextWithCookie(request, reply), { next: queryNext(request, paths), invitation }));
  });

  app.post(
    "/register",
    {
      // Before the CSRF check (a preHandler): to whoever may not register, /register does not
      // exist, whatever they send. The registration itself checks the invitation again, atomically.
      preValidation: async (request) => {
        await deps.invitations.admit(textField(request.body, "invite"));
      },
      config: {
        // The form again, with the invitation it was opened with while that still admits.
        renderFormError: async (request, reply, error) =>
          registerPage(helpers.pageContextWithCookie(request, reply), {
            ...refill(request, paths, error),
            invitation: await invitationView(textField(request.body, "invite")).catch(() => undefined),
          }),
      },
    },
    async (request, reply) => {
      const form = parseForm(RegisterForm, request.body);
      const decision = await deps.passwordStep.register(
        request.visitor.visit,
        { username: form.username, password: form.password, invitation: form.invite, nextPath: paths.next(form.next) },
        originOf(request),
      );
      return helpers.apply(request, reply, decision);
    },
  );

  app.post("/logout", async (request, reply) =>
    helpers.apply(request, reply, await deps.signIn.signOut(request.visitor.visit, originOf(request))),
  );
}

/** The gateway's sign-out page: a link target for the upstream app, with the POST form. */
export function signOutPageRoute(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  app.get("/logout", async (request, reply) => sendPage(reply, signOutPage(helpers.pageContextWithCookie(request, reply))));
}
