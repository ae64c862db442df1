export interface VariantGeneratorSchema {
  name: string;
  packages: string;
  description?: string;
  image?: string;
  baseProject?: string;
}
