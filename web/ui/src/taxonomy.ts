// The offence taxonomy (categories and aggravations with their French labels), read at build
// time from the project's single source of truth, datasets/data/taxonomy.toml.
import source from "../../../datasets/data/taxonomy.toml?raw";

export type Category = { id: string; label: string; aggravations: Map<string, string> };

function parse(text: string): Category[] {
  return text
    .split(/^\[\[category\]\]\s*$/m)
    .slice(1)
    .map((block) => {
      const id = block.match(/^id\s*=\s*"([^"]+)"/m)?.[1] ?? "";
      const label = block.match(/^label\s*=\s*"([^"]+)"/m)?.[1] ?? id;
      const aggravations = new Map<string, string>();
      for (const m of block.matchAll(/\{\s*id\s*=\s*"([^"]+)",\s*label\s*=\s*"([^"]+)"/g)) aggravations.set(m[1], m[2]);
      return { id, label, aggravations };
    })
    .filter((c) => c.id);
}

export const categories: Category[] = parse(source);

export function categoryLabel(id: string): string {
  return categories.find((c) => c.id === id)?.label ?? id;
}

export function aggravationLabel(category: string, id: string): string {
  return categories.find((c) => c.id === category)?.aggravations.get(id) ?? id;
}
