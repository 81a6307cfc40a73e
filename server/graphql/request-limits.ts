import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTVisitor,
  type DocumentNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_INPUT_DEPTH, findInputProblem } from '../http/input-limits.js';
import { clientError } from './errors.js';

/** Most aliased fields one document may select: aliases are how one request asks for the same work many times. */
export const MAX_ALIASES = 30;
/** Most fragments one document may define: graphql-js follows chains of fragment spreads recursively. */
export const MAX_FRAGMENTS = 100;

const OPENING = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Refuses, before any resolver runs, what would otherwise crash or swamp the server, each with a client error code:
 * a body in a content type yoga cannot read (415, which yoga sends without a body), a document nested deeper than
 * `MAX_INPUT_DEPTH` or with more than `MAX_FRAGMENTS` fragments (graphql-js parses and validates recursively, and
 * would overflow the stack within the body-size limit), more than `MAX_ALIASES` aliases, and variables or string
 * literals that `findInputProblem` refuses (deep, or holding U+0000).
 * @example createYoga({ schema, plugins: [useRequestLimits()] })
 */
export function useRequestLimits(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, endResponse, fetchAPI }) {
      if (!requestParser) {
        const type = (request.headers.get('content-type') ?? 'none').slice(0, 100);
        const message = `unsupported content-type (${type}): send the operation as application/json`;
        const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
        endResponse(
          new fetchAPI.Response(body, { status: 415, headers: { 'content-type': 'application/json; charset=utf-8' } }),
        );
        return;
      }
      // yoga's GET and form parsers JSON.parse `variables` and `extensions` unguarded: the SyntaxError was a 500.
      setRequestParser(async (req) => {
        try {
          return await requestParser(req);
        } catch (e) {
          if (!(e instanceof SyntaxError)) throw e;
          throw new GraphQLError(`variables and extensions must be JSON (${e.message})`, {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        }
      });
    },
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        assertShallowDocument(typeof source === 'string' ? source : source.body);
        const document: DocumentNode = parseFn(source, options);
        const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).length;
        if (fragments > MAX_FRAGMENTS)
          throw new GraphQLError(`the document defines ${fragments} fragments; at most ${MAX_FRAGMENTS} are allowed`);
        return document;
      });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(limitsRule);
    },
    onParams({ params, setResult }) {
      const problem = findInputProblem(params.variables ?? null);
      if (!problem) return;
      const path = ['variables', ...problem.path].join('.');
      const issues = [{ path, message: problem.message }];
      const extensions = { issues, http: { status: 400 } };
      setResult({ errors: [clientError('BAD_USER_INPUT', `invalid input: ${path}: ${problem.message}`, extensions)] });
    },
  };
}

/** Throws a syntax error when brackets nest deeper than `MAX_INPUT_DEPTH`; other syntax errors are left to the parser. */
function assertShallowDocument(body: string): void {
  const lexer = new Lexer(new Source(body));
  let depth = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (CLOSING.has(token.kind)) depth--;
      else if (OPENING.has(token.kind) && ++depth > MAX_INPUT_DEPTH) break;
    }
  } catch {
    return;
  }
  if (depth > MAX_INPUT_DEPTH)
    throw new GraphQLError(`Syntax Error: the document nests deeper than ${MAX_INPUT_DEPTH} levels.`);
}

function limitsRule(context: ValidationContext): ASTVisitor {
  let aliases = 0;
  return {
    Field(node) {
      if (node.alias && ++aliases === MAX_ALIASES + 1)
        context.reportError(new GraphQLError(`a document may use at most ${MAX_ALIASES} aliases`, { nodes: node }));
    },
    StringValue(node) {
      if (node.value.includes('\u0000'))
        context.reportError(new GraphQLError('strings must not contain the NUL character (\\u0000)', { nodes: node }));
    },
  };
}
