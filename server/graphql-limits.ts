// Limits on incoming GraphQL documents, as validation rules that grafserv runs (and caches per
// document) before anything executes: a maximum length, a maximum selection depth (fragments
// followed), and, unless enabled, no introspection.
import {
  GraphQLError, Kind, NoSchemaIntrospectionCustomRule,
  type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule,
} from 'postgraphile/graphql';

function limitError(code: string, message: string, details: Record<string, unknown>): GraphQLError {
  // The same { code, status, details } extensions as Boxoffice's other errors (server/postgraphile.ts).
  return new GraphQLError(message, { extensions: { code, status: 400, details } });
}

export function maxLengthRule(maxLength: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    Document(node) {
      const length = node.loc?.source.body.length ?? 0;
      if (length > maxLength) {
        context.reportError(limitError('QUERY_TOO_LARGE', `The GraphQL document is longer than ${maxLength} characters.`, { length, maxLength }));
      }
    },
  });
}

export function maxDepthRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    // Depth of a selection set: fields add one, fragments are inlined; a fragment cycle is another
    // rule's error, so the path guards against it.
    function depth(set: SelectionSetNode | undefined, seen: Set<string>): number {
      if (!set) return 0;
      let deepest = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          deepest = Math.max(deepest, sel.selectionSet ? 1 + depth(sel.selectionSet, seen) : 1);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depth(sel.selectionSet, seen));
        } else {
          const name = sel.name.value;
          const fragment = fragments.get(name);
          if (fragment && !seen.has(name)) deepest = Math.max(deepest, depth(fragment.selectionSet, new Set([...seen, name])));
        }
        if (deepest > maxDepth) return deepest;
      }
      return deepest;
    }
    return {
      OperationDefinition(node) {
        const d = depth(node.selectionSet, new Set());
        if (d > maxDepth) {
          context.reportError(limitError('QUERY_TOO_DEEP', `The GraphQL document is nested deeper than ${maxDepth} levels.`, { maxDepth }));
        }
      },
    };
  };
}

export function documentLimitsPlugin(opts: { maxDepth: number; maxLength: number; introspection: boolean }): GraphileConfig.Plugin {
  return {
    name: 'BoxofficeDocumentLimitsPlugin',
    version: '1.0.0',
    grafserv: {
      middleware: {
        setPreset(next, event) {
          event.validationRules.push(maxLengthRule(opts.maxLength), maxDepthRule(opts.maxDepth));
          if (!opts.introspection) event.validationRules.push(NoSchemaIntrospectionCustomRule);
          return next();
        },
      },
    },
  };
}
