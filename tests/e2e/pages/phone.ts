import { expect, type Locator, type Page } from '@playwright/test';

/** The two phones of the issue: a small Android and a current iPhone, in CSS pixels. */
export const PHONES = [
  { name: '360×640', width: 360, height: 640 },
  { name: '390×844', width: 390, height: 844 },
];

/** What a thumb sees without scrolling: the part of the screen above the bottom navigation. */
export class PhoneScreen {
  constructor(readonly page: Page) {}

  get mainNav(): Locator {
    return this.page.getByRole('navigation', { name: 'Navigation principale' });
  }

  /** The top edge of the fixed bottom navigation: anything lower is hidden behind it. */
  async visibleBottom(): Promise<number> {
    const nav = await this.mainNav.boundingBox();
    expect(nav, 'the bottom navigation').not.toBeNull();
    return nav!.y;
  }

  async scrollY(): Promise<number> {
    return this.page.evaluate(() => window.scrollY);
  }

  /** The top edge of the answering bar, held above the navigation on a question page. */
  async barTop(): Promise<number> {
    return (await this.answerBar.boundingBox())!.y;
  }

  /** `locator` is entirely on screen between the top and `bottom` (by default the bottom
   *  navigation's top edge). */
  async expectInView(locator: Locator, what: string, bottom?: number) {
    await expect(locator, what).toBeVisible();
    const box = await locator.boundingBox();
    bottom ??= await this.visibleBottom();
    expect(box!.y, `${what}: top edge`).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height, `${what}: bottom edge, visible down to ${bottom} px`).toBeLessThanOrEqual(bottom + 0.5);
  }

  /** The bar under a question: the save confirmation and the way on. */
  get answerBar(): Locator {
    return this.page.getByRole('navigation', { name: 'Enregistrement et question suivante' });
  }

  get saved(): Locator {
    return this.answerBar.getByRole('status');
  }

  get next(): Locator {
    return this.answerBar.getByRole('link', { name: 'Question suivante' });
  }

  /** Rendered size of the text in `locator`, in CSS pixels. */
  async fontSize(locator: Locator): Promise<number> {
    return locator.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  }
}
