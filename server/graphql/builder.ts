import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { GraphQLContext } from './context.js';

/** The one SchemaBuilder: every domain file adds its types and fields to it. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [DataloaderPlugin],
  defaultFieldNullability: false,
});

builder.addScalarType(
  'DateTime',
  new GraphQLScalarType({
    name: 'DateTime',
    description: 'An ISO-8601 timestamp.',
    serialize: (v) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString()),
    parseValue: (v) => {
      const d = new Date(String(v));
      // A GraphQLError, not a TypeError: yoga masks any other error as INTERNAL_SERVER_ERROR.
      if (Number.isNaN(d.getTime())) throw new GraphQLError(`invalid DateTime: ${String(v)}`);
      return d;
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new TypeError('DateTime must be a string');
      const d = new Date(ast.value);
      if (Number.isNaN(d.getTime())) throw new TypeError(`invalid DateTime: ${ast.value}`);
      return d;
    },
  }),
);

builder.addScalarType(
  'JSON',
  new GraphQLScalarType({
    name: 'JSON',
    description: 'Any JSON value.',
    serialize: (v) => v,
    parseValue: (v) => v,
    parseLiteral: function literal(ast): unknown {
      switch (ast.kind) {
        case Kind.STRING:
        case Kind.BOOLEAN:
          return ast.value;
        case Kind.INT:
        case Kind.FLOAT:
          return Number(ast.value);
        case Kind.NULL:
          return null;
        case Kind.LIST:
          return ast.values.map((v) => literal(v));
        case Kind.OBJECT:
          return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
        default:
          throw new TypeError('JSON literals cannot use variables inside');
      }
    },
  }),
);

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
